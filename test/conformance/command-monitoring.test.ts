import { defineConformanceSuite } from './unified/suite.js';

/** The drivers' unified-format command-monitoring spec tests (../shared/conformance/command-monitoring), through the official driver. */
defineConformanceSuite('command-monitoring');
