/**
 * The SDK's own error codes live beside the server's in @parley/protocol (one table, one ParleyError);
 * re-exported here for the SDK's users.
 */
export { CLIENT_ERROR_CODES, type ClientErrorCode, type ParleyErrorCode } from '@parley/protocol/client';
