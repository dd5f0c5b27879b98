//! Application code run inside the handshake: a panic becomes its message.

use crate::tls::panic::catch;

#[test]
fn payloads_become_messages() {
    assert_eq!(catch(|| 7), Ok(7));
    assert_eq!(
        catch(|| -> () { panic!("static") }),
        Err("static".to_owned())
    );
    let n = 3;
    assert_eq!(
        catch(|| -> () { panic!("formatted {n}") }),
        Err("formatted 3".to_owned())
    );
    assert_eq!(
        catch(|| -> () { std::panic::panic_any(5_u8) }),
        Err("(a panic payload that is not a string)".to_owned())
    );
}
