// Instance tags alone (parsing and checking key=value), without the fleet's desired-state, values and Compose modules.
export { TagsSchema, TAG_KEY, TAG_VALUE, MAX_TAGS, canonicalTags, checkTags, matchesTags, parseTag, type Tags } from './tags.ts';
