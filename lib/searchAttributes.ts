// Search attributes we register on the dev server (scripts and `anime-dub server` pass the same list).
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const DubStageKey = defineSearchAttributeKey('DubStage', SearchAttributeType.KEYWORD);

/** `--search-attribute` values for `temporal server start-dev`. */
export const DEV_SERVER_SEARCH_ATTRIBUTES = ['DubStage=Keyword'];
