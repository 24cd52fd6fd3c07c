import { defineConformanceSuite } from './unified/suite.js';

/** The drivers' unified-format transactions spec tests (../shared/conformance/transactions), through the official driver. */
defineConformanceSuite('transactions');
