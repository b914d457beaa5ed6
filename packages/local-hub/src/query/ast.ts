/** A dotted property path such as `properties.reported.rebootTime`. */
export interface PropertyPath {
  segments: string[];
  /** As written, for messages. */
  text: string;
  position: number;
}

export type LiteralValue = string | number | boolean | null;

export type Operand = { kind: 'path'; path: PropertyPath } | { kind: 'literal'; value: LiteralValue };

export type ComparisonOperator = '=' | '!=' | '<' | '>' | '<=' | '>=';

export type Condition =
  | { kind: 'and' | 'or'; left: Condition; right: Condition }
  | { kind: 'not'; operand: Condition }
  | { kind: 'compare'; operator: ComparisonOperator; left: Operand; right: Operand }
  | { kind: 'in'; negated: boolean; operand: Operand; values: LiteralValue[] }
  | { kind: 'is-defined' | 'is-null'; path: PropertyPath }
  | { kind: 'starts-with' | 'ends-with'; path: PropertyPath; text: string };

/** One output column; `name` is the alias, else the path's last segment, else `$1`, `$2`… for COUNT(). */
export type ProjectionItem =
  | { kind: 'path'; path: PropertyPath; name: string }
  | { kind: 'count'; name: string };

/** A parsed `SELECT … FROM devices …` query over device twins (or `FROM devices.jobs`, job results). */
export interface Query {
  /** `devices.jobs` for per-device job results, `devices.modules` for module twins; absent for `devices`. */
  collection?: 'devices.jobs' | 'devices.modules';
  /** `TOP n`: at most this many result rows. */
  top?: number;
  /** `undefined` for `SELECT *`. */
  projection?: ProjectionItem[];
  where?: Condition;
  /** Empty without `GROUP BY`. */
  groupBy: PropertyPath[];
  /** True when rows are aggregates (GROUP BY or COUNT()) rather than one row per twin. */
  aggregate: boolean;
}
