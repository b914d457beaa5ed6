import { type ZodError, z } from 'zod';

/**
 * Raised when data crossing a process boundary does not match its contract.
 * `message` is a readable, multi-line description naming each offending field (never a stack trace);
 * `issues` keeps the machine-readable detail.
 */
export class ContractError extends Error {
  override readonly name = 'ContractError';
  /** Which contract was violated, e.g. `rebootDevice request payload`. */
  readonly contract: string;
  /** Field-by-field detail, as `z.treeifyError` shapes it. */
  readonly issues: unknown;

  constructor(contract: string, message: string, issues: unknown = undefined) {
    super(`Invalid ${contract}: ${message}`);
    this.contract = contract;
    this.issues = issues;
  }

  /** @internal Builds the error from a zod failure. */
  static fromZod(contract: string, error: ZodError): ContractError {
    return new ContractError(contract, z.prettifyError(error), z.treeifyError(error));
  }
}

/** Result of a `safeParse…` function: never throws. */
export type ParseResult<T> = { success: true; data: T } | { success: false; error: ContractError };
