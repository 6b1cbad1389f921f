// Imported first by the CLI: chalk reads FORCE_COLOR when it loads, and does not know NO_COLOR.
if (process.env.NO_COLOR) process.env.FORCE_COLOR = '0';
