#!/usr/bin/env node
// Committed launcher: pnpm links bins at install, before the build has written dist/.
require('../dist/main.js');
