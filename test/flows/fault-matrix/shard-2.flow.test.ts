/** The fault matrix (issue 7), shard 2 of 3: see matrix-support.ts. */
import { defineShard } from './matrix-support';

defineShard(1);
