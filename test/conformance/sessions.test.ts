import { defineConformanceSuite } from './unified/suite.js';

/** The drivers' unified-format sessions spec tests (../shared/conformance/sessions), through the official driver. */
defineConformanceSuite('sessions');
