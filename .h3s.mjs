import { parseConfig } from './dist/config/load.js';
import { readFileSync } from 'node:fs';
try { console.log(JSON.stringify(parseConfig(readFileSync(process.argv[2],'utf8'), { path: process.argv[2], env: { WINDOW: 'soon', SLACK: 'https://hooks.slack.com/x' } }), null, 1)); } catch (e) { console.log(e.message); }
