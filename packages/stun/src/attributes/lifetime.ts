import { AttributeType } from '../constants.js';
import { uint32Codec } from './codec.js';

/** RFC 8656 §18.2 LIFETIME: seconds until the allocation expires (0 in a Refresh deletes it). */
export const Lifetime = uint32Codec(AttributeType.Lifetime, 'LIFETIME');
