#!/usr/bin/env node
import { checkRepository } from './check.js';

const root = process.argv[2] ?? process.cwd();
const violations = checkRepository(root);
for (const v of violations) console.error(`[${v.rule}] ${v.message}`);
console.error(violations.length === 0 ? 'dependency rules: ok' : `dependency rules: ${violations.length} violation(s)`);
process.exitCode = violations.length === 0 ? 0 : 1;
