#!/usr/bin/env node
// The `mailsift` command (cli/main.ts), run through tsx like every TypeScript entry of this checkout.
import { register } from 'tsx/esm/api';

register();
await import('../cli/main.ts');
