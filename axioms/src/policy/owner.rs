//! Object ownership: fetch functions, owner values, and the fetched object's hand-over.

use std::future::Future;
use std::marker::PhantomData;
use std::sync::{Arc, Mutex, PoisonError};

use axum::extract::{FromRef, FromRequestParts};
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use http::request::Parts;

use crate::claims::{Claims, OwnerValue};

/// What a fetch function may return: the object, or a response that ends the request.
///
/// Implemented for `Result<T, E>` where `E: IntoResponse` (return your own 404), and for
/// `Option<T>` (`None` answers `404 Not Found`).
///
/// ```
/// use axioms::policy::FetchOutput;
/// let found: Option<u32> = Some(7);
/// assert_eq!(found.into_object().ok(), Some(7));
/// let missing: Option<u32> = None;
/// assert_eq!(missing.into_object().unwrap_err().status(), 404);
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a valid return type for an `owner(fetch = …)` function",
    note = "return `Result<YourObject, E>` where `E: IntoResponse` (e.g. `StatusCode::NOT_FOUND`), or `Option<YourObject>`"
)]
pub trait FetchOutput {
    /// The fetched object.
    type Object: Send + 'static;
    /// The object, or the response to send instead.
    fn into_object(self) -> Result<Self::Object, Response>;
}

impl<T: Send + 'static, E: IntoResponse> FetchOutput for Result<T, E> {
    type Object = T;
    fn into_object(self) -> Result<T, Response> {
        self.map_err(IntoResponse::into_response)
    }
}

impl<T: Send + 'static> FetchOutput for Option<T> {
    type Object = T;
    fn into_object(self) -> Result<T, Response> {
        self.ok_or_else(|| StatusCode::NOT_FOUND.into_response())
    }
}

/// An async function usable as `owner(fetch = …)`: its arguments are extractors that do not
/// read the body (`Path`, `Query`, `State`, headers…), and it returns a [`FetchOutput`].
///
/// `T` is the tuple of argument types, as in axum's `Handler<T, S>`.
///
/// # Example
///
/// ```
/// use axum::extract::Path;
/// use http::StatusCode;
///
/// #[derive(Clone)]
/// struct Article { user: String }
///
/// async fn get_article(Path(id): Path<u32>) -> Result<Article, StatusCode> {
///     if id == 1 { Ok(Article { user: "alice".into() }) } else { Err(StatusCode::NOT_FOUND) }
/// }
///
/// fn assert_fetch<F: axioms::policy::Fetch<T, ()>, T>(_: F) {}
/// assert_fetch(get_article);
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be used as an `owner(fetch = …)` function",
    label = "not an async fn of extractors returning `Result<T, impl IntoResponse>` or `Option<T>`",
    note = "a fetch function is `async fn(…) -> Result<T, E>` (or `Option<T>`) whose arguments (at most 8) are extractors that do not read the body, such as `Path`, `Query` and `State`; its state type must be the one named by `state = …` or the handler's `State<…>`"
)]
pub trait Fetch<T, S>: Clone + Send + Sync + 'static {
    /// The object fetched.
    type Object: Send + 'static;
    /// Runs the extractors and the function.
    fn fetch(
        self,
        parts: &mut Parts,
        state: &S,
    ) -> impl Future<Output = Result<Self::Object, Response>> + Send;
}

/// `Owned<Self>` in a handler whose policy fetches an `O`: implemented only when `Self` is `O`,
/// so that `#[protected]` turns a mismatch into a compile error at the `Owned<…>` argument
/// instead of a 500 at run time.
///
/// ```
/// use axioms::__private::IsFetched;
///
/// fn same<T: IsFetched<O>, O>() {}
/// same::<String, String>();
/// ```
#[diagnostic::on_unimplemented(
    message = "the handler takes `Owned<{Self}>`, but its policy's `owner(fetch = …)` returns `{O}`",
    label = "take `Owned<{O}>` here",
    note = "`Owned<T>` hands the handler the object its policy fetched, without a second fetch: `T` is what the fetch function returns (inside its `Option` or `Result`)"
)]
pub trait IsFetched<O> {}

impl<O> IsFetched<O> for O {}

// A second impl that never applies to a real object (it would need `O = (O,)`): with two
// candidates, the compiler cannot infer the object from `Owned<…>`'s type and must take it
// from the fetch function, so that a mismatch is the unmet bound above, with its message.
impl<O> IsFetched<(O,)> for O {}

/// A named policy that fetches an object (`policy!` with `owner(…)`): only then may a handler
/// under `#[protected(policy = Name)]` take `Owned<…>`. `policy!` implements it for a policy
/// with `owner(…)`.
///
/// ```
/// use axioms::__private::{FetchesObject, policy_fetches};
///
/// struct Editors;
/// impl FetchesObject for Editors {}
/// policy_fetches::<Editors>();
/// ```
#[diagnostic::on_unimplemented(
    message = "the handler takes `Owned<…>`, but the policy `{Self}` fetches no object",
    label = "this handler's policy has no `owner(fetch = …)`",
    note = "add `owner(fetch = your_fetch_fn)` to the policy, or take the object with an extractor of your own"
)]
pub trait FetchesObject {}

/// Compiles only if the policy `P` fetches an object.
pub fn policy_fetches<P: FetchesObject>() {}

/// The type of the object `fetch` returns, for generated code to infer (it never runs).
///
/// ```
/// use axioms::__private::{is_fetched, object_of};
///
/// async fn get_note() -> Option<String> {
///     None
/// }
/// is_fetched::<String, _>(object_of::<(), _, _>(get_note));
/// ```
pub fn object_of<St, T, F: Fetch<T, St>>(fetch: F) -> PhantomData<F::Object> {
    let _ = fetch;
    PhantomData
}

/// Compiles only if the handler's `Owned<X>` is the fetched object `O` (a mismatch is reported
/// as the unmet [`IsFetched`] bound).
pub fn is_fetched<X: IsFetched<O>, O>(object: PhantomData<O>) {
    let _ = object;
}

impl<F, Fut, R, S> Fetch<(), S> for F
where
    F: FnOnce() -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = R> + Send,
    R: FetchOutput,
    S: Send + Sync,
{
    type Object = R::Object;

    async fn fetch(self, _parts: &mut Parts, _state: &S) -> Result<R::Object, Response> {
        self().await.into_object()
    }
}

macro_rules! impl_fetch {
    ($($ty:ident),+) => {
        impl<F, Fut, R, S, $($ty,)+> Fetch<($($ty,)+), S> for F
        where
            F: FnOnce($($ty,)+) -> Fut + Clone + Send + Sync + 'static,
            Fut: Future<Output = R> + Send,
            R: FetchOutput,
            S: Send + Sync,
            $($ty: FromRequestParts<S> + Send,)+
        {
            type Object = R::Object;

            #[allow(non_snake_case)]
            async fn fetch(self, parts: &mut Parts, state: &S) -> Result<R::Object, Response> {
                $(
                    let $ty = match $ty::from_request_parts(parts, state).await {
                        Ok(value) => value,
                        Err(rejection) => return Err(rejection.into_response()),
                    };
                )+
                self($($ty,)+).await.into_object()
            }
        }
    };
}
impl_fetch!(T1);
impl_fetch!(T1, T2);
impl_fetch!(T1, T2, T3);
impl_fetch!(T1, T2, T3, T4);
impl_fetch!(T1, T2, T3, T4, T5);
impl_fetch!(T1, T2, T3, T4, T5, T6);
impl_fetch!(T1, T2, T3, T4, T5, T6, T7);
impl_fetch!(T1, T2, T3, T4, T5, T6, T7, T8);

/// Where the guard leaves the fetched object for [`Owned`].
pub(crate) struct OwnedSlot<T>(Arc<Mutex<Option<T>>>);

impl<T> Clone for OwnedSlot<T> {
    fn clone(&self) -> Self {
        Self(Arc::clone(&self.0))
    }
}

/// The ownership check of an `owner(fetch = …, field = …, claim = …)` clause, called by
/// generated code: converts the router state `S` to the fetch function's state `St`, runs the
/// fetch, compares the owner field with the claim ([`Claims::owns`]) and leaves the object for
/// the handler's [`Owned`]. An `Err` is the fetch's own response (e.g. 404).
pub async fn check_owner<St, S, F, T, V>(
    fetch: F,
    field: fn(&F::Object) -> &V,
    claim: &str,
    parts: &mut Parts,
    state: &S,
    claims: &Claims,
) -> Result<bool, Response>
where
    St: FromRef<S>,
    F: Fetch<T, St>,
    V: OwnerValue + ?Sized,
{
    let state = St::from_ref(state);
    let object = fetch.fetch(parts, &state).await?;
    let owns = claims.owns(field(&object), claim);
    parts
        .extensions
        .insert(OwnedSlot(Arc::new(Mutex::new(Some(object)))));
    Ok(owns)
}

/// The object fetched by the handler's `owner(fetch = …)` clause, handed over without a
/// second fetch.
///
/// Take it as an ordinary extractor argument (after the policy ran, which `#[protected]`
/// guarantees by putting its guard first). `Owned<T>` in a handler whose policy has no
/// `owner(…)` (its own, or the named policy's), or of another type than the fetch function
/// returns, is a compile error at the argument — except that behind `policy = Name` the type
/// of the named policy's object cannot be named: a mismatch there answers 500 and logs why (a
/// programming error).
///
/// # Example
///
/// ```
/// use axioms::{protected, policy::Owned};
/// use axum::extract::Path;
/// use http::StatusCode;
///
/// struct Article { id: u32, user: String }
///
/// async fn get_article(Path(id): Path<u32>) -> Result<Article, StatusCode> {
///     Ok(Article { id, user: "alice".into() })
/// }
///
/// #[protected(owner(fetch = get_article), state = axioms::Axioms)]
/// async fn show(Owned(article): Owned<Article>) -> String {
///     format!("article {}", article.id)
/// }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Owned<T>(pub T);

impl<S, T> FromRequestParts<S> for Owned<T>
where
    S: Send + Sync,
    T: Send + 'static,
{
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Response> {
        let object = parts
            .extensions
            .get::<OwnedSlot<T>>()
            .and_then(|slot| slot.0.lock().unwrap_or_else(PoisonError::into_inner).take());
        object.map(Owned).ok_or_else(|| {
            tracing::error!(
                target: "axioms",
                object = std::any::type_name::<T>(),
                "Owned<T> extracted but no owner(fetch = …) clause fetched a T for this handler"
            );
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        })
    }
}
