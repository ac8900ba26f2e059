// Search attributes we register on the dev server (scripts and `anime-dub server` pass the same list).
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const DubStageKey = defineSearchAttributeKey('DubStage', SearchAttributeType.KEYWORD);
export const DubSourceLangKey = defineSearchAttributeKey('DubSourceLang', SearchAttributeType.KEYWORD);
export const DubTargetLangKey = defineSearchAttributeKey('DubTargetLang', SearchAttributeType.KEYWORD);

/** Every search attribute we set, by name: registered by our dev-server start and checked on reuse. */
export const SEARCH_ATTRIBUTES = { DubStage: 'Keyword', DubSourceLang: 'Keyword', DubTargetLang: 'Keyword' } as const;

/** `--search-attribute` values for `temporal server start-dev`. */
export const DEV_SERVER_SEARCH_ATTRIBUTES = Object.entries(SEARCH_ATTRIBUTES).map(([k, v]) => `${k}=${v}`);
