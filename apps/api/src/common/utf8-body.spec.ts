import { duplicateJsonKey } from './utf8-body';

describe(duplicateJsonKey.name, () => {
  it.each([
    ['a key twice', '{"username":"admin","password":"wrong","password":"admin"}', 'password'],
    ['a key twice in a nested object', '{"location":{"lat":21.0,"lng":105.8,"lat":10.7}}', 'lat'],
    ['the same key escaped', '{"score":1,"\\u0073core":5}', 'score'],
    ['in an object inside an array', '{"attachments":[{"url":"a","url":"b"}]}', 'url'],
    ['after a string holding braces and quotes', '{"d":"{\\"x\\":1, \\"d\\":2}","d":3}', 'd'],
    ['across whitespace and Vietnamese keys', '{ "tên" : 1 ,\n "tên" : 2 }', 'tên'],
  ])('finds %s', (_what, text, key) => {
    expect(duplicateJsonKey(text)).toBe(key);
  });

  it.each([
    ['one key in two objects', '{"a":{"b":1},"c":{"b":2}}'],
    ['keys that are values elsewhere', '{"a":"b","b":"a","list":["a","a"]}'],
    ['a key and a value alike', '{"category":"category"}'],
    ['keys that differ by case', '{"Phone":1,"phone":2}'],
    ['a text cut short, left to the parser', '{"a":1,"b":"unterminated'],
    ['a bare array', '[1,2,{"a":1},{"a":2}]'],
  ])('finds none in %s', (_what, text) => {
    expect(duplicateJsonKey(text)).toBeNull();
  });
});
