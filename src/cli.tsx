#!/usr/bin/env node
console.log('workos-migrate');
