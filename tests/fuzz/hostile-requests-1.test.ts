import { hostileRequestsSuite } from "./support/hostile-suite";

// One of three shards of the hostile-request fuzz run: see tests/fuzz/support/hostile-suite.ts.
hostileRequestsSuite(0, 3);
