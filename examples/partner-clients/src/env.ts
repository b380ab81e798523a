// Settings both clients read from the environment.

/** The value of an environment variable, or the fallback; with no fallback it must be set. */
export function setting(name: string, fallback?: string): string {
  const value = process.env[name] ?? fallback;
  if (value === undefined || value === '') {
    console.error(`${name} is not set`);
    process.exit(2);
  }
  return value;
}

/** The last segment of a resource name: `youngPeople/abc` gives `abc`. */
export function id(name: string | undefined): string {
  const segment = name?.split('/').pop();
  if (!segment) throw new Error(`not a resource name: ${name}`);
  return segment;
}

/** Stops the script with a message when a condition the scenario relies on does not hold. */
export function check(ok: unknown, message: string): asserts ok {
  if (!ok) throw new Error(message);
}
