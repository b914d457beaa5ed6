import type { ComponentChildren } from 'preact';
import { describe } from './api';

// What every page repeats, written once: tables, status and error lines, labelled fields, times.

/** A column: its header and what a row shows in it. */
export type Column<T> = readonly [header: string, cell: (row: T) => ComponentChildren];

/** A scrollable table; `attrs` adds attributes to a row's `<tr>` (e.g. `data-device` for tests). */
export function Table<T>(props: {
  columns: readonly Column<T>[];
  rows: readonly T[];
  rowKey: (row: T, index: number) => string;
  attrs?: (row: T) => Record<string, string>;
}) {
  return (
    <div class="table-wrap">
      <table>
        <thead>
          <tr>
            {props.columns.map(([header]) => (
              <th key={header}>{header}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {props.rows.map((row, i) => (
            <tr key={props.rowKey(row, i)} {...props.attrs?.(row)}>
              {props.columns.map(([header, cell]) => (
                <td key={header}>{cell(row)}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** A line saying what an action did (`role=status`), or nothing. */
export function Status({ text }: { text: string | undefined }) {
  return text ? (
    <p class="message" role="status">
      {text}
    </p>
  ) : null;
}

/** A failed load or action as one readable line (`role=alert`), or nothing. */
export function Alert({ error }: { error: unknown }) {
  return error === undefined ? null : (
    <p class="error" role="alert">
      {describe(error)}
    </p>
  );
}

/** A live connection state as a coloured pill. */
export function ConnectionPill({ state }: { state: string }) {
  return (
    <span class={`pill ${state === 'Connected' ? 'ok' : 'off'}`} data-testid="connection">
      {state}
    </span>
  );
}

/** A labelled text area (its label is also its accessible name). */
export function TextField(props: {
  label: string;
  rows: number;
  value: string;
  onInput: (value: string) => void;
}) {
  return (
    <label>
      {props.label}
      <textarea
        aria-label={props.label}
        rows={props.rows}
        value={props.value}
        onInput={(e) => props.onInput(e.currentTarget.value)}
      />
    </label>
  );
}

/** A labelled number input. */
export function NumberField(props: { label: string; value: number; onInput: (value: number) => void }) {
  return (
    <label>
      {props.label}
      <input
        type="number"
        value={props.value}
        onInput={(e) => props.onInput(Number(e.currentTarget.value))}
      />
    </label>
  );
}

/** A time as the user's locale shows it; IoT Hub's never-set time (0001-01-01) and none are "—". */
export function time(iso: string | null | undefined): string {
  if (!iso || iso.startsWith('0001-01-01')) return '—';
  return new Date(iso).toLocaleString();
}
