/** The fault matrix (issue 7), shard 1 of 2: see matrix-support.ts. */
import { defineShard } from './matrix-support';

defineShard(0);
