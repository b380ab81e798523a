// A partner's first hour over REST: a client typed from carepath's OpenAPI document
// (openapi-typescript generates src/gen/carepath.ts; openapi-fetch makes the calls).
//
//   CAREPATH_URL=http://localhost:8080 CAREPATH_TOKEN=$(carepath dev-token personal-adviser) npm run rest
import createClient from 'openapi-fetch';
import type { components, paths } from './gen/carepath.js';
import { check, id, setting } from './env.js';

type Milestone = components['schemas']['Milestone'];
type ErrorResponse = components['schemas']['ErrorResponse'];

const client = createClient<paths>({
  baseUrl: setting('CAREPATH_URL', 'http://localhost:8080'),
  headers: { Authorization: `Bearer ${setting('CAREPATH_TOKEN')}` },
});

/** The ErrorInfo reason of an AIP-193 error body, such as ETAG_MISMATCH: what to branch on. */
function reason(body: ErrorResponse): string | undefined {
  const info = body.error?.details?.find((d) => d['@type'] === 'type.googleapis.com/google.rpc.ErrorInfo');
  return typeof info?.reason === 'string' ? info.reason : undefined;
}

// 1. The young people this token may see.
const people = await client.GET('/v1/youngPeople', { params: { query: { pageSize: 10 } } });
check(people.data, `list young people: HTTP ${people.response.status} ${people.error?.error?.message}`);
const youngPeople = people.data.youngPeople ?? [];
console.log(`listed ${youngPeople.length} young people`);
const youngPerson = id(youngPeople[0]?.name);

// 2. Their pathway: every milestone from 13 to 25, each with its etag.
const pathway = await client.GET('/v1/youngPeople/{youngPerson}/pathway', {
  params: { path: { youngPerson } },
});
check(pathway.data, `read pathway: HTTP ${pathway.response.status} ${pathway.error?.error?.message}`);
const today = pathway.data.asOf;
check(today, 'the pathway has no asOf date');
const planned = (pathway.data.timeline ?? []).filter((m: Milestone) => m.state === 'PLANNED');
check(planned.length >= 2, 'the pathway has fewer than two PLANNED milestones');
console.log(`read the pathway of ${youngPerson}: ${pathway.data.counts?.total} milestones, ${planned.length} planned`);

// 3. Complete a milestone, sending the etag read with it.
const first = planned[0]!;
const completed = await client.POST('/v1/youngPeople/{youngPerson}/milestones/{milestone}:complete', {
  params: { path: { youngPerson, milestone: id(first.name) } },
  body: { achievedDate: today, evidence: [{ description: 'Letter seen' }], etag: first.etag },
});
check(completed.data?.state === 'ACHIEVED', `complete: HTTP ${completed.response.status} ${completed.error?.error?.message}`);
console.log(`completed ${first.name} with etag ${first.etag}`);

// 4. A stale etag: someone else starts the next milestone after we read it, so completing it
// with the etag we hold is refused with 409 ETAG_MISMATCH; read it again and retry.
const second = planned[1]!;
const path = { youngPerson, milestone: id(second.name) };
const started = await client.POST('/v1/youngPeople/{youngPerson}/milestones/{milestone}:start', {
  params: { path },
  body: { etag: second.etag, reason: 'a colleague started it' },
});
check(started.data, `start: HTTP ${started.response.status} ${started.error?.error?.message}`);
const body = { achievedDate: today, evidence: [{ description: 'Letter seen' }] };
const stale = await client.POST('/v1/youngPeople/{youngPerson}/milestones/{milestone}:complete', {
  params: { path },
  body: { ...body, etag: second.etag },
});
check(stale.response.status === 409 && stale.error, `stale etag: HTTP ${stale.response.status}, want 409`);
check(reason(stale.error) === 'ETAG_MISMATCH', `stale etag: reason ${reason(stale.error)}, want ETAG_MISMATCH`);
console.log(`stale etag ${second.etag}: HTTP 409 ${reason(stale.error)}; reading it again`);
const fresh = await client.GET('/v1/youngPeople/{youngPerson}/milestones/{milestone}', { params: { path } });
check(fresh.data, `read milestone: HTTP ${fresh.response.status} ${fresh.error?.error?.message}`);
const retried = await client.POST('/v1/youngPeople/{youngPerson}/milestones/{milestone}:complete', {
  params: { path },
  body: { ...body, etag: fresh.data.etag },
});
check(retried.data?.state === 'ACHIEVED', `retry: HTTP ${retried.response.status} ${retried.error?.error?.message}`);
console.log(`completed ${second.name} with etag ${fresh.data.etag}`);
console.log('REST client: ok');
