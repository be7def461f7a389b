/** `{{label}}` expansion of the service template (design §8). Pure. */

export type Labels = Record<string, string>;

const PLACEHOLDER = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;

/** The expanded text, or the first label the text needs and the target lacks. */
export function expandTemplate(text: string, labels: Labels): { value: string } | { missing: string } {
  let missing: string | undefined;
  const value = text.replace(PLACEHOLDER, (_, name: string) => {
    const v = labels[name];
    if (v === undefined && missing === undefined) missing = name;
    return v ?? '';
  });
  return missing === undefined ? { value } : { missing };
}
