// Values in Postgres's COPY text format: backslash, tab, newline and carriage return are
// escaped; \N is NULL.
export const copyEscape = (v: string) =>
  /[\\\t\n\r]/.test(v)
    ? v
        .replaceAll('\\', '\\\\')
        .replaceAll('\t', '\\t')
        .replaceAll('\n', '\\n')
        .replaceAll('\r', '\\r')
    : v;

export const copyText = (v: string | null) => (v === null ? '\\N' : copyEscape(v));
