// The semver functions Skiff uses, each from its own module: the package's index loads all of it (ranges, comparators,
// ~50 modules), which a one-shot command like `skiff agent install` paid at every start.
import compare from 'semver/functions/compare.js';
import gt from 'semver/functions/gt.js';
import gte from 'semver/functions/gte.js';
import lt from 'semver/functions/lt.js';
import lte from 'semver/functions/lte.js';
import rcompare from 'semver/functions/rcompare.js';
import valid from 'semver/functions/valid.js';

export const semver = { compare, gt, gte, lt, lte, rcompare, valid } as const;
