// Checks one configuration value against its declared type and gives its canonical text form.
import { SyntaxIssue } from './issues.ts';
import type { ConfigType } from './types.ts';

const NUMBER_TEXT = /^-?(?:\d+(?:\.\d+)?|\.\d+)(?:[eE][-+]?\d+)?$/;

/** Strings, numbers and booleans as they come from YAML or JSON; numeric and boolean text is accepted too. */
export function settingText(type: ConfigType, value: unknown): string {
  switch (type) {
    case 'string':
      if (typeof value === 'string') return value;
      throw new SyntaxIssue('must be a string (quote it in YAML)');
    case 'number':
      if (typeof value === 'number' && Number.isFinite(value)) return String(value);
      if (typeof value === 'string' && NUMBER_TEXT.test(value)) return value;
      throw new SyntaxIssue('must be a number');
    case 'boolean':
      if (typeof value === 'boolean') return String(value);
      if (value === 'true' || value === 'false') return value;
      throw new SyntaxIssue('must be true or false');
    case 'port': {
      const port = typeof value === 'string' && /^\d{1,5}$/.test(value) ? Number(value) : value;
      if (typeof port === 'number' && Number.isInteger(port) && port >= 1 && port <= 65535) return String(port);
      throw new SyntaxIssue('must be a port (an integer 1-65535)');
    }
  }
}
