/**
 * Workers that turn conversations into long-term memories and keep them tidy, on the clients of
 * this package, which they take by injection and never create or close.
 */

export type { ConsolidationOptions, ConsolidationResult } from "./consolidation-worker.js";
export { ConsolidationWorker } from "./consolidation-worker.js";
export type { EmbeddingService } from "./embedding-service.js";
export type { HashingEmbeddingOptions } from "./hashing-embedding-service.js";
export { HashingEmbeddingService } from "./hashing-embedding-service.js";
export type { GenerationResult, MemoryGenerationOptions } from "./memory-generation-worker.js";
export { MemoryGenerationWorker } from "./memory-generation-worker.js";
export { RuleBasedExtractor } from "./rule-based-extractor.js";
export type { ExtractedFact, ExtractionEngine, ProgressEvent, ProgressListener } from "./types.js";
