// A partner's first hour over gRPC: @grpc/grpc-js with the service loaded from carepath's
// protos (@grpc/proto-loader; proto-loader-gen-types writes the types in src/gen/grpc).
//
//   CAREPATH_GRPC=localhost:9090 CAREPATH_TOKEN=$(carepath dev-token personal-adviser) npm run grpc
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { fileURLToPath } from 'node:url';
import type { ProtoGrpcType as PathwaysProto } from './gen/grpc/pathways_service.js';
import type { ProtoGrpcType as YoungPeopleProto } from './gen/grpc/young_people_service.js';
import type { Milestone__Output as Milestone } from './gen/grpc/carepath/v1/Milestone.js';
import { check, setting } from './env.js';

// The protos of this repository; a partner points CAREPATH_PROTO_DIR at its copy of proto/.
const protoDir = setting('CAREPATH_PROTO_DIR', fileURLToPath(new URL('../../../proto', import.meta.url)));
const definition = protoLoader.loadSync(
  ['carepath/v1/young_people_service.proto', 'carepath/v1/pathways_service.proto'],
  // The same options as proto-loader-gen-types in package.json, so the types hold.
  { includeDirs: [protoDir, `${protoDir}/third_party`], longs: String, enums: String, defaults: true, oneofs: true },
);
const { v1 } = (grpc.loadPackageDefinition(definition) as unknown as PathwaysProto & YoungPeopleProto).carepath;

// grpc-js sends call credentials only over TLS, so on a plaintext development server an
// interceptor puts the token in each call's metadata instead.
const token = setting('CAREPATH_TOKEN');
const withToken: grpc.Interceptor = (options, next) =>
  new grpc.InterceptingCall(next(options), {
    start(metadata, listener, start) {
      metadata.set('authorization', `Bearer ${token}`);
      start(metadata, listener);
    },
  });
const address = setting('CAREPATH_GRPC', 'localhost:9090');
const options = { interceptors: [withToken] };
const youngPeopleService = new v1.YoungPeopleService(address, grpc.credentials.createInsecure(), options);
const pathways = new v1.PathwaysService(address, grpc.credentials.createInsecure(), options);

/** Makes a unary call and returns its answer as a promise. */
function call<Req, Res>(
  method: (req: Req, cb: (err: grpc.ServiceError | null, res?: Res) => void) => unknown,
  request: Req,
): Promise<Res> {
  return new Promise((resolve, reject) =>
    method(request, (err, res) => (err ? reject(err) : res ? resolve(res) : reject(new Error('no answer')))),
  );
}

// 1. The young people this token may see.
const list = await call(youngPeopleService.ListYoungPeople.bind(youngPeopleService), { pageSize: 10 });
console.log(`listed ${list.youngPeople.length} young people`);
const youngPerson = list.youngPeople[0]?.name;
check(youngPerson, 'no young people');

// 2. Their pathway, each milestone with its etag.
const pathway = await call(pathways.GetPathway.bind(pathways), { name: `${youngPerson}/pathway` });
const today = pathway.asOf;
check(today, 'the pathway has no asOf date');
const planned = pathway.timeline.filter((m: Milestone) => m.state === 'PLANNED');
check(planned.length >= 2, 'the pathway has fewer than two PLANNED milestones');
console.log(`read the pathway of ${youngPerson}: ${pathway.counts?.total} milestones, ${planned.length} planned`);

// 3. Complete a milestone, sending the etag read with it.
const evidence = [{ description: 'Letter seen' }];
const first = planned[0]!;
const completed = await call(pathways.CompleteMilestone.bind(pathways), {
  name: first.name, achievedDate: today, evidence, etag: first.etag,
});
check(completed.state === 'ACHIEVED', `complete: state ${completed.state}`);
console.log(`completed ${first.name} with etag ${first.etag}`);

// 4. A stale etag: someone else starts the next milestone after we read it, so completing it
// with the etag we hold is refused with ABORTED; read it again and retry.
const second = planned[1]!;
await call(pathways.StartMilestone.bind(pathways), { name: second.name, etag: second.etag, reason: 'a colleague started it' });
const refused = await call(pathways.CompleteMilestone.bind(pathways), {
  name: second.name, achievedDate: today, evidence, etag: second.etag,
}).then(() => undefined, (err: grpc.ServiceError) => err);
check(refused?.code === grpc.status.ABORTED, `stale etag: ${refused?.code ?? 'accepted'}, want ABORTED`);
console.log(`stale etag ${second.etag}: ABORTED (${refused.details}); reading it again`);
const fresh = await call(pathways.GetMilestone.bind(pathways), { name: second.name });
const retried = await call(pathways.CompleteMilestone.bind(pathways), {
  name: second.name, achievedDate: today, evidence, etag: fresh.etag,
});
check(retried.state === 'ACHIEVED', `retry: state ${retried.state}`);
console.log(`completed ${second.name} with etag ${fresh.etag}`);

youngPeopleService.close();
pathways.close();
console.log('gRPC client: ok');
