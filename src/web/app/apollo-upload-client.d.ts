// apollo-upload-client (19) types its .mjs files with JSDoc only; the part the web client uses is declared.
declare module 'apollo-upload-client/UploadHttpLink.mjs' {
  import { ApolloLink } from '@apollo/client';
  /** A terminating link: a GraphQL multipart request when the variables hold files, else a plain POST. */
  export default class UploadHttpLink extends ApolloLink {
    constructor(options?: {
      uri?: string;
      headers?: Record<string, string>;
      fetch?: (input: RequestInfo | URL, init?: RequestInit) => Promise<Response>;
      fetchOptions?: RequestInit;
      credentials?: string;
      includeExtensions?: boolean;
    });
  }
}
