// The dev dependencies express4 (npm:express@^4) and express5 (npm:express@^5) are typed with @types/express.
declare module 'express4' {
  import express = require('express');
  export = express;
}
declare module 'express5' {
  import express = require('express');
  export = express;
}
