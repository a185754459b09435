/** Collects what a person would have seen in a pipe or a CI log: the sandbox's output, as text. */
export function sink(): { write(text: string): boolean; readonly text: string } {
  let text = '';
  return {
    write(chunk: string) {
      text += chunk;
      return true;
    },
    get text() {
      return text;
    },
  };
}
