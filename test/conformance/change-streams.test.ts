import { defineConformanceSuite } from './unified/suite.js';

/** The drivers' unified-format change-streams spec tests (../shared/conformance/change-streams), through the official driver. */
defineConformanceSuite('change-streams');
