/** The fault matrix, in one file (SHARDS): see matrix-support.ts. */
import { defineShard } from './matrix-support';

defineShard(0);
