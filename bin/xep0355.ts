#!/usr/bin/env node
// The published command (package.json "bin"), compiled to dist/bin/xep0355.js by `npm run build`.
import "../src/cli/main.js";
