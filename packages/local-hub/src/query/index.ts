/**
 * The IoT Hub query language over device twins, as pure functions: parse once, run over service twin
 * documents, cut the results into pages with opaque continuation tokens. See QUERY.md for the subset.
 */
export type { Condition, ProjectionItem, PropertyPath, Query } from './ast';
export { QueryContinuationError, QuerySyntaxError } from './errors';
export { executeQuery } from './execute';
export { PAGE_SIZE, pageResults } from './paging';
export { MAX_QUERY_BYTES, parseQuery } from './parser';
export { deviceIdPrefilter } from './prefilter';
