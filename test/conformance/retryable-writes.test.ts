import { defineConformanceSuite } from './unified/suite.js';

/** The drivers' unified-format retryable-writes spec tests (../shared/conformance/retryable-writes), through the official driver. */
defineConformanceSuite('retryable-writes');
