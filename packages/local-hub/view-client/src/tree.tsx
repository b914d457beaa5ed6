import { useState } from 'preact/hooks';

/** A JSON value as a collapsible tree; `$metadata` and `$version` keys are shown dimmed. */
export function JsonTree({ value, name, depth = 0 }: { value: unknown; name?: string; depth?: number }) {
  const [open, setOpen] = useState(depth < 2 && name !== '$metadata');
  const label =
    name === undefined ? null : <span class={name.startsWith('$') ? 'key meta' : 'key'}>{name}</span>;
  if (value === null || typeof value !== 'object') {
    return (
      <div class="leaf">
        {label}
        {label && ': '}
        <span class={`v-${value === null ? 'null' : typeof value}`}>{JSON.stringify(value)}</span>
      </div>
    );
  }
  const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v] as const) : Object.entries(value);
  return (
    <div class="node">
      <button type="button" class="toggle" aria-expanded={open} onClick={() => setOpen(!open)}>
        {open ? '▾' : '▸'} {label ?? 'twin'}{' '}
        <span class="count">{Array.isArray(value) ? `[${entries.length}]` : `{${entries.length}}`}</span>
      </button>
      {open && (
        <div class="children">
          {entries.map(([key, child]) => (
            <JsonTree key={key} name={key} value={child} depth={depth + 1} />
          ))}
        </div>
      )}
    </div>
  );
}
