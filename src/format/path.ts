/** Go's filepath.Base for slash paths: the last element, trailing slashes dropped; "" → ".", "///" → "/". */
export function baseName(path: string): string {
  const trimmed = path.replace(/\/+$/, '');
  if (trimmed === '') return path === '' ? '.' : '/';
  return trimmed.slice(trimmed.lastIndexOf('/') + 1);
}
