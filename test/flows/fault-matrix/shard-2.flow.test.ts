/** The fault matrix, shard 2 of 2: see matrix-support.ts. */
import { defineShard } from './matrix-support';

defineShard(1);
