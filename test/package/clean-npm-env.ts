/**
 * The environment for a nested `npm`: this one's, without the `npm_*` variables that `npm test`
 * sets for its scripts (the lifecycle event, the package's config, and a prefix that would send a
 * nested install into this repository).
 */
export function cleanNpmEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.toLowerCase().startsWith("npm_")),
  );
}
