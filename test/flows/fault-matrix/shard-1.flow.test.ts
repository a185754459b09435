/** The fault matrix, shard 1 of 2: see matrix-support.ts. */
import { defineShard } from './matrix-support';

defineShard(0);
