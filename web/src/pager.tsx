import { useState } from 'preact/hooks';

/**
 * Cursor paging (the API's `starting_after` / `cursor`): a stack of the cursors that led to the
 * current page, so "back" is a pop. The cursor of the first page is null.
 */
export function useCursors() {
  const [stack, setStack] = useState<(string | null)[]>([null]);
  return {
    cursor: stack[stack.length - 1] ?? null,
    atStart: stack.length === 1,
    back: () => setStack(stack.slice(0, -1)),
    forward: (next: string) => setStack([...stack, next]),
    reset: () => setStack([null]),
  };
}

export function Pager(p: {
  labels: [string, string];
  atStart: boolean;
  next: string | null | undefined;
  onBack: () => void;
  onForward: (next: string) => void;
}) {
  return (
    <div class="pager">
      <button type="button" disabled={p.atStart} onClick={p.onBack}>
        {p.labels[0]}
      </button>
      <button type="button" disabled={!p.next} onClick={() => p.next && p.onForward(p.next)}>
        {p.labels[1]}
      </button>
    </div>
  );
}
