#!/usr/bin/env node
/* eslint-disable @typescript-eslint/no-require-imports -- a CommonJS bin script */
/** `npx tollgate …`: runs cli/tollgate.ts through tsx (no build step). */
require('tsx/cjs/api').register();
require('../cli/tollgate.ts').runCli();
