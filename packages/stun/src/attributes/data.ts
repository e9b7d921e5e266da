import { AttributeType } from '../constants.js';
import { bytesCodec } from './codec.js';

/** RFC 8656 §18.5 DATA: the application payload of a Send or Data indication. Decodes to a view, not a copy. */
export const Data = bytesCodec(AttributeType.Data, 'DATA');
