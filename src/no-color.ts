// Imported first by the CLI: chalk reads FORCE_COLOR when it loads, and does not know NO_COLOR.
if (process.env.NO_COLOR) process.env.FORCE_COLOR = '0';

/**
 * No color on screen (NO_COLOR, or FORCE_COLOR=0): what color or inverse video showed (the caret,
 * a focused field, a completion) must then be shown by characters. Read at each drawing.
 */
export const colorless = (): boolean => !!process.env.NO_COLOR || process.env.FORCE_COLOR === '0';
