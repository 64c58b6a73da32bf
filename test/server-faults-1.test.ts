// The server fault matrix, shard 1 of 2 (test/helpers/fault-matrix.ts; the rest of the server suite's checks: server-suite.test.ts).
import { describeFaultMatrix } from "./helpers/fault-matrix.js";

describeFaultMatrix(0, 2);
