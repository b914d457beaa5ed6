import { z } from 'zod';
import { throwAsHubError } from '../error-translation';
import { HubError } from '../errors';
import { type MethodRequest, parseMethodRequest } from '../methods/request';
import { parseQuery, type Query, QuerySyntaxError } from '../query';
import { isValidDeviceId } from '../registry/device-id';
import { type JsonObject, validateTwinPatch } from '../twin';
import type { JobType } from './model';

/** IoT Hub's default when a job names no maxExecutionTimeInSeconds (the SDK's own default too). */
export const DEFAULT_MAX_EXECUTION_SECONDS = 3600;

const body = z.looseObject({
  jobId: z.union([z.string(), z.number()]).optional(),
  type: z.enum(['scheduleDeviceMethod', 'scheduleUpdateTwin']),
  queryCondition: z.string().min(1, 'queryCondition is required'),
  cloudToDeviceMethod: z.unknown().optional(),
  updateTwin: z.unknown().optional(),
  startTime: z.iso.datetime({ offset: true }).nullish(),
  maxExecutionTimeInSeconds: z.number().int().min(1).nullish(),
});

// Other fields the SDK or the docs show in updateTwin (deviceId, etag) are ignored, as on IoT Hub.
const twinUpdate = z.looseObject({
  tags: z.unknown().optional(),
  properties: z.looseObject({ desired: z.unknown().optional() }).optional(),
});

/** A validated `PUT /jobs/v2/{id}`. */
export interface NewJob {
  jobId: string;
  type: JobType;
  queryCondition: string;
  query: Query;
  cloudToDeviceMethod?: MethodRequest;
  updateTwin?: JsonObject;
  /** Undefined: start now. */
  startTime?: Date;
  maxExecutionTimeInSeconds: number;
}

/** Validates a job id like IoT Hub's ids; `query` is taken by `GET /jobs/v2/query`. */
export function checkJobId(jobId: string): void {
  if (!isValidDeviceId(jobId) || jobId === 'query') {
    throw new HubError(
      'ArgumentInvalid',
      'A job id has 1 to 128 characters: letters, digits and - : . + % _ # * ? ! ( ) , = @ ; $ \' (and is not "query").',
    );
  }
}

/** Validates a job request; every problem is a HubError ArgumentInvalid with a readable message. */
export function parseJobRequest(jobId: string, input: unknown): NewJob {
  checkJobId(jobId);
  const result = body.safeParse(input);
  if (!result.success) throwAsHubError(result.error, 'job');
  const request = result.data;
  if (request.jobId !== undefined && String(request.jobId) !== jobId) {
    throw new HubError('ArgumentInvalid', 'The jobId in the body does not match the one in the URL.');
  }
  const common = {
    jobId,
    queryCondition: request.queryCondition,
    query: parseCondition(request.queryCondition),
    ...(request.startTime ? { startTime: new Date(request.startTime) } : {}),
    maxExecutionTimeInSeconds: request.maxExecutionTimeInSeconds ?? DEFAULT_MAX_EXECUTION_SECONDS,
  };
  if (request.type === 'scheduleDeviceMethod') {
    if (request.cloudToDeviceMethod === undefined) {
      throw new HubError('ArgumentInvalid', 'A scheduleDeviceMethod job needs cloudToDeviceMethod.');
    }
    return {
      ...common,
      type: request.type,
      cloudToDeviceMethod: parseMethodRequest(request.cloudToDeviceMethod),
    };
  }
  return { ...common, type: request.type, updateTwin: parseTwinUpdate(request.updateTwin) };
}

// The condition is run as the WHERE clause of a twin query. The parentheses keep it a single condition:
// text such as `a = 1) GROUP BY (b` cannot escape them.
const PREFIX = 'SELECT * FROM devices WHERE (';

/**
 * Parses a job's queryCondition; syntax errors name positions within the condition itself. `*` selects every
 * device: IoT Hub's own job examples use `queryCondition: "*"` ("Schedule jobs on multiple devices").
 */
export function parseCondition(condition: string): Query {
  if (condition.trim() === '*') return parseQuery('SELECT * FROM devices');
  try {
    return parseQuery(`${PREFIX}${condition})`);
  } catch (err) {
    throwAsHubError(
      err instanceof QuerySyntaxError ? withinCondition(err, condition) : err,
      'queryCondition',
    );
  }
}

/** The syntax error with its position counted from the start of the condition, not of the query. */
function withinCondition(err: QuerySyntaxError, condition: string): QuerySyntaxError {
  const position = Math.min(Math.max(err.position - PREFIX.length, 0), condition.length);
  const marker = ` at position ${err.position}`;
  const at = err.message.indexOf(marker);
  return new QuerySyntaxError(err.message.slice(0, at), position, err.message.slice(at + marker.length));
}

function parseTwinUpdate(input: unknown): JsonObject {
  const result = twinUpdate.safeParse(input);
  if (!result.success || (result.data.tags === undefined && result.data.properties?.desired === undefined)) {
    throw new HubError(
      'ArgumentInvalid',
      'A scheduleUpdateTwin job needs updateTwin with tags and/or properties.desired.',
    );
  }
  const { tags, properties } = result.data;
  try {
    return {
      ...(tags === undefined ? {} : { tags: validateTwinPatch(tags, 'tags') }),
      ...(properties?.desired === undefined
        ? {}
        : { properties: { desired: validateTwinPatch(properties.desired, 'desired') } }),
    };
  } catch (err) {
    throwAsHubError(err);
  }
}
