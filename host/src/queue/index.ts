/**
 * Batches over a queue (BullMQ on Redis): `runQueuedBatch` on the producer's side, `QueueWorker`
 * on the workers' side. A separate entry point (`pocket-wit/queue`), so that the host library
 * does not load the Redis client unless it is used.
 */
export { runQueuedBatch, batchId, type QueuedBatchOptions } from './producer.js';
export { QueueWorker, type QueueWorkerOptions, type QueueWorkerStats } from './worker.js';
export { connectRedis, redactUrl, redisOptions, DEFAULT_QUEUE_NAME, PASSWORD_ENV, type QueueConnection } from './connection.js';
export { queueCacheDir } from './blobs.js';
export { RedisBackend, DEFAULT_KV_PREFIX, type RedisBackendOptions } from '../storage/redis.js';
