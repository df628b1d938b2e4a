/**
 * How deeply a payload (or a result) may nest objects and arrays: the payload object is level 1.
 * Deeper data is refused, on publish and on consume. Every walk over a payload (ours, class-transformer's,
 * class-validator's, JSON's) recurses once per level; class-validator's nested validation overflows the
 * stack at about 1,000 levels when called from the top of the stack, and from inside a request handler
 * sooner. 100 keeps a tenfold margin and is the limit BSON documents and protobuf messages have too.
 */
export const MAX_PAYLOAD_DEPTH = 100;

/**
 * Default of the Orchestrator's `maxPayloadBytes`: a payload whose JSON is larger is refused at publish.
 * 1 MiB, as Kafka's default message size: a job should carry references (a path, a URL, an id), not the
 * data itself, and every byte is held by the broker, copied on each retry and read by every fetch.
 */
export const DEFAULT_MAX_PAYLOAD_BYTES = 1024 * 1024;

/** The largest `maxPayloadBytes` accepted: RabbitMQ's hard message limit, Redis's string limit and V8's string length are all about 512 MiB. */
export const MAX_PAYLOAD_BYTES_CEILING = 512 * 1024 * 1024;
