import { SsmImageParameters } from '../../adapters/ssm-image-parameters';
import type { ImageParameters } from '../../ports';
import { once } from '../runtime';

export const parameters = once((): ImageParameters => new SsmImageParameters());
