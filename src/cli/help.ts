/** The "Examples:" section of a command's `--help`, one `$ contextiq ...` line each. */
export function examples(...commands: string[]): string {
  return `\nExamples:\n${commands.map((command) => `  $ contextiq ${command}`).join("\n")}`;
}
