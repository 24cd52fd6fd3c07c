import { defineConformanceSuite } from './unified/suite.js';

/** The drivers' unified-format crud spec tests (../shared/conformance/crud), through the official driver. */
defineConformanceSuite('crud');
