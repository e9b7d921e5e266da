import { AttributeType } from '../constants.js';
import { uint32Codec } from './codec.js';

/** RFC 6062 §6.2.1 CONNECTION-ID: names a TCP connection to a peer between Connect/ConnectionBind. */
export const ConnectionId = uint32Codec(AttributeType.ConnectionId, 'CONNECTION-ID');
